"""Shards: one suite cut by tests across CI jobs (`--shard K/N`) and merged back (`combine`).

split: the pure, deterministic split; select: a shard job's own collection and selection;
combine: the checks and the merge of the shard folders into one reports folder.
"""
