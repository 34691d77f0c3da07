"""The import of the national procedure records into knowledge/data, run once per new
export of the national database:

    python -m bot kb import ../shared/data/national-procedures.jsonl.gz

`run.import_records` reads the raw records, `record.parse_record` turns each into the
project's record with the parsers of its parts (documents, modes with times and fees, steps,
results, legal basis), and `document_cases` organises the documents into the cases a citizen
chooses from. Nothing here runs while the bot answers.
"""
