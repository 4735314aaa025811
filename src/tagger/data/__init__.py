"""Labelled data of a project checkout: seed labels over the seed reports, imported real paragraphs,
authored training text (:mod:`.examples`), the real dev set kept outside the repository
(:mod:`.devset`), and tagged corpora as ``tagger tag -o FILE`` wrote them (:mod:`.tagged`: read by
``tagger stats`` and ``tagger labels export``)."""
