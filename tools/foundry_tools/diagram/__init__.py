"""The architecture picture, derived from the synthesized templates (`foundry diagram`)."""
