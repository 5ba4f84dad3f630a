"""CNF encodings: boolean gates (Tseitin), reified cardinality and pseudo-Boolean
constraints, and the gate IR into clauses (`cnf.py`)."""
