"""A reply becomes a decision: the Leave a Reply form → cleaned → the moderation rules → stored → the
author's preview; threads and paging of the comments section.
"""
