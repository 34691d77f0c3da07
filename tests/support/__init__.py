"""What keeps the tests safe to run anywhere: no real network, no inherited secrets."""
