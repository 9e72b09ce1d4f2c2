"""Effect follow-up: the kommun's reference lists (kommundelar, lägesbild/åtgärdsplan items),
the facts each case records for the fund's overview (districts, kind of prevention, measure
types, åtgärdsplan items, indicators) and the yearly effect report."""
