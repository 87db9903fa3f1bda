"""Reading nbgrader notebooks: cell roles, the rebuilt program, submissions made from code."""
