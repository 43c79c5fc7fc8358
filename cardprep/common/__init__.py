"""What cardprep and cardtrain both need, in one place so the two cannot drift: the user-facing
errors (errors), the command-line layer (cli), atomic outputs (atomic), image reading, writing
and the model's square view (images), video reading and writing (video), C libraries' stderr
lines turned into messages naming the file (noise), where warnings go (log), worker processes
(parallel).
Imports no pipeline module and no torch.
"""
