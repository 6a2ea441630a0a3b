"""The legal definitions of trafficking (`instruments`), the reviewed mapping of dataset
categories to their purposes (`mapping`), and the shares computed from the data (`shares`)."""
