"""Moving in from WordPress and out again: a WXR file (WordPress's Tools → Export) in and out.

In: ``flask import wxr FILE`` reads the file (wxr), turns each post's HTML into Markdown (convert) and
each post and page into a file with its front matter and images (posts), publishes them with their
comments and old addresses in one run (importer), and says what it did (report).
Out: ``flask export wxr FILE`` writes the articles, pages, tags and comments as WXR 1.2 (export).
"""
