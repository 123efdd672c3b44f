// observer: attach to a running Otter node (being built: issue 8).
print("observer: not implemented yet")
