"""pijler3: the half-yearly data exchange between the Agentschap Integratie en Inburgering and VDAB."""

__version__ = "0.1.0"
