"""The spam filter: a comment in, a score from 0 to 1 and the features behind it out; a moderator's
decision in, better weights out.

- features.py: what it looks at (words, character n-grams, link domains, website, name, repetition);
- model.py: the arithmetic (logistic regression over hashed features), the shipped starting model;
- store.py: the learnt weights in the database, so every worker scores alike, and the lessons;
- corpus.py: labelled CSV files (the YouTube Spam Collection's layout) as examples;
- commands.py: ``flask spam score|train|retrain``.

The post path scores each new comment (blog/comments/posting.py) and the rule chain acts on the score
(blog/comments/rules.py); the moderators' Approve, Not spam and Spam teach it (blog/moderation/actions.py).
"""
