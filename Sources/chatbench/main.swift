// chatbench: IRC load generator built on Otter (being built: issue 7).
print("chatbench: not implemented yet")
