"""CNF encodings: boolean gates (Tseitin), reified cardinality and pseudo-Boolean
constraints, and fixed-point arithmetic built from threshold gates."""
