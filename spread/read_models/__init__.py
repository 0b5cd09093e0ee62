"""Read models: the data a page or an API listing shows, loaded in a bounded number of queries.

Views call these instead of writing queries; they never change rows (writes live in
:mod:`spread.services`).
"""
