"""Rules as data: named patterns and word lists. The stages in cleanpipe.stages apply them."""
