"""The embedded local stack: real servers started on loopback for the demo and the tests."""
