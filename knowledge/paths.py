"""Where the knowledge lives in the repository: the imported records (data/), the hand-kept
YAML (yaml/) and the interface texts (locales/)."""

from pathlib import Path

KNOWLEDGE_DIR = Path(__file__).resolve().parent
DATA_DIR = KNOWLEDGE_DIR / "data"
YAML_DIR = KNOWLEDGE_DIR / "yaml"
