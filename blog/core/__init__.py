"""What both flows stand on: settings checked once, the database and its models, errors, security
headers, the sanitizer's allowlists, backups.
"""
