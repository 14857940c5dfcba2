"""mlmodel-operator: one MLModel resource declares a model's whole life; an operator keeps it true."""
