"""Handlers of control-plane.yaml: operations on the mock itself, under /__mock/.

Same calling convention as mockserver.api: validated parameters in, JSON value out.
"""
