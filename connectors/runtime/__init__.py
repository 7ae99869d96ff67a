"""Running connectors: publish to the ingress topics, in worker processes, from a folder or HTTP."""
