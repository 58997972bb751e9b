"""Moving in from WordPress and out again: a WXR file (WordPress's Tools → Export) in and out.

In: ``flask import wxr FILE`` reads the file (wxr), turns each post and page into a Markdown file
(convert), publishes them with their comments, images and old addresses in one run (importer).
Out: ``flask export wxr FILE`` writes the articles, pages, tags and comments as WXR 1.2 (export).
"""
