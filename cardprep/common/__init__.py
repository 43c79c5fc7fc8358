"""What cardprep and cardtrain both need, in one place so the two cannot drift: atomic
outputs, image reading and writing, worker processes. Imports no pipeline module and no torch.
"""
