# Problems of the domain layer.

