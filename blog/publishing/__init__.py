"""A file becomes a page: content/*.md → front matter and Markdown read and checked (source) → rendered
(markdown) → stored as pre-rendered Article rows, all or nothing (publish).
"""
