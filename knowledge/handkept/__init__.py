"""The knowledge kept by hand in YAML, each entry with its source: contacts, online-service
guides, FAQ, aliases, intents, texts (`model`), public holidays (`holidays`), menu and news
topics (`topics`), and the officers' overrides from the review pages (`overrides`).
`schema` checks every file and names each problem with its file and line:

    python -m bot kb check
"""
