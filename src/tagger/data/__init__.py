"""Labelled data of a project checkout: seed labels over the seed reports, imported real paragraphs,
authored training text (:mod:`.examples`), and the real dev set kept outside the repository
(:mod:`.devset`)."""
