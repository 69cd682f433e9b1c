"""Monthly cost estimates read from synthesized templates (`foundry cost`)."""
