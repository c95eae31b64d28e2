"""The Teams face of the service: activity handler, text commands, card actions, proactive messages.

Knows Teams and the Bot Framework; knows nothing of OCR or SQL (it talks to ``ReviewService`` and ``reports``).
"""
