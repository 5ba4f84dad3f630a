"""Files for other tools, and their readers: the gate IR as binary AIGER
(`aiger.py`), a CNF as DIMACS with tcverify's comment lines and the external
solver's answer read back (`dimacs.py`), the IR as a spec netlist (`netlist.py`)."""
