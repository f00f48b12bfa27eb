"""Files in and out: atomic writes (:mod:`.atomic`), PNG metadata (:mod:`.png`), weights
(:mod:`.weights`: safetensors and .npz), video (:mod:`.video`), figures (:mod:`.figures`).

Import the submodule you need; this package imports nothing itself, so the command line starts
without torch.
"""
