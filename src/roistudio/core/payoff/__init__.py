"""The payoff language: parsing with an allow-list, compiling to SQL with bound parameters, decompositions, presets."""
