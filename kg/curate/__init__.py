"""The curator's assistant: what a list is missing, where a paper belongs, what is out of
date, and how the list grew. Every command reads a build's graph (see kg/curate/facts.py);
`history` also walks the list's versions.
"""
