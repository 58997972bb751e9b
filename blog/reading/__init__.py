"""A stored article becomes the page a reader gets: views and feeds over the public articles, the page
cache keyed by each article's version, media files.
"""
