"""A reply becomes a decision: the Leave a Reply form (form.py, its token csrf.py) → the post service
(posting.py: clean, the rules in rules.py, store) → the author's preview (pending.py) or the comment in
its thread (threads.py: approved comments, threading, paging) → the comments section (section.py).
views.py is the blueprint; signing.py signs what readers are handed; avatars.py draws their pictures.
"""
