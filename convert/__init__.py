"""`python -m fastmlmd.convert SRC DST`: copies a store ml-metadata made into a new fastmlmd store (see __main__)."""
