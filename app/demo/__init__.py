"""``iwmo demo``: the Amersfoort region and a simulated year of its message traffic, run
through the service's own HTTP API (``app.demo.runner.run``)."""
