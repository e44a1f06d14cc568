"""Battle learners (paper A §5.3): one module per algorithm, parameters shared within a team."""
