"""What the bot knows: the national procedure records (catalog, imported by `importer`), the
hand-kept YAML (`handkept`), and the understanding of citizens' messages over them (`nlu`).

    knowledge = Knowledge.load()      # knowledge/base.py: everything, indexed, once
"""
