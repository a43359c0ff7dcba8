# Problems of the http layer.

