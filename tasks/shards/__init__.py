"""Shards: one suite cut by tests across CI jobs (`--shard K/N`) and merged back (`combine`).

split: the `K/N` argument and the split (the plugin's phasegate_split, re-exported); select: a
shard job's plan, its shard.json from the run's record, the check of every run's split;
combine: the checks and the merge of the shard folders into one reports folder.
"""
