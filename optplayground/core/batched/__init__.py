"""The batched engine: many runs of one optimizer kind as the rows of one tensor.

    race.py      BatchedRace: N runs on one 2-D surface, stepped together, stopped per row
    rules.py     the optimizers' update rules written once for (N, 2) rows
    lrs.py       each row's LR (LRDriver, shared by rows with the same schedule)
    clipping.py  clip_grad_norm_ / clip_grad_value_ per row, with both norms
    groups.py    how the engine races batchable runs of an ordinary experiment together
"""
