# Problems of the services layer.

