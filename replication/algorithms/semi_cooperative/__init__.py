"""Learners of paper B's semi-cooperative tasks: PED-DQN and its baselines, one module each.
Every agent has its own network (or one shared network with `parameter_sharing`), and every
agent of a step goes through one batched forward pass."""
