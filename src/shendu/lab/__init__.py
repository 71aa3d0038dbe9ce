"""Lab: experiments that compare ideas, and the explain calculators (issue 17)."""
