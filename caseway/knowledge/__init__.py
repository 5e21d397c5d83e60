"""Knowledge: categories, articles (lifecycle, versions, alternate questions) and the one
hybrid search (lexical + semantic) over published articles. Imports core only. Publishes
nothing; the search index follows publish and unpublish through tasks.py."""
