"""Writing: the planner (:mod:`.plan`, pure, every check), the engine (:mod:`.engine`, the only code that
creates arrays and writes OME metadata), and what they share: storage options, blocks, groups, labels
and plates."""
