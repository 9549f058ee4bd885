"""The external kernel conformance suite (jupyter_kernel_test) against the interp kernel.

``InterpKernelTests`` runs the samples of a Python kernel in normal cells;
``InterpCellKernelTests`` runs them inside ``%%interp`` cells (stdout, stderr, error,
execute_result, display_data, completion, inspection answered by the interpreter).
"""

import unittest

import jupyter_kernel_test
import pytest
from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME, kernel_env, require_kernelspec

pytestmark = pytest.mark.timeout(120)


class _InterpKernelBase(jupyter_kernel_test.KernelTests):
    kernel_name = KERNEL_NAME
    language_name = "python"
    file_extension = ".py"

    @classmethod
    def setUpClass(cls):
        require_kernelspec()
        cls.km, cls.kc = start_new_kernel(kernel_name=cls.kernel_name, env=kernel_env(), startup_timeout=60)
        cls.prepare()

    @classmethod
    def prepare(cls):
        pass


class InterpKernelTests(_InterpKernelBase):
    """Normal cells behave like IPython's."""

    code_hello_world = "print('hello, world')"
    code_stderr = "import sys; print('test', file=sys.stderr)"
    completion_samples = [{"text": "zi", "matches": {"zip"}}]
    complete_code_samples = ["1", "print('hello, world')", "def f(x):\n  return x*2\n\n\n"]
    incomplete_code_samples = ["print('''hello", "def f(x):\n  x*2"]
    invalid_code_samples = ["import = 7q"]
    code_page_something = "zip?"
    code_generate_error = "raise ValueError('boom')"
    code_execute_result = [{"code": "1+2+3", "result": "6"}, {"code": "[n*n for n in range(1, 4)]", "result": "[1, 4, 9]"}]
    code_display_data = [
        {"code": "from IPython.display import HTML, display; display(HTML('<b>test</b>'))", "mime": "text/html"},
    ]
    code_history_pattern = "1?2*"
    supported_history_operations = ("tail", "search")
    code_inspect_sample = "zip"
    code_clear_output = "from IPython.display import clear_output; clear_output()"


class InterpCellKernelTests(_InterpKernelBase):
    """The same samples inside ``%%interp conf`` cells."""

    code_hello_world = "%%interp conf\nprint('hello, world')"
    code_stderr = "%%interp conf\nimport sys; print('test', file=sys.stderr)"
    completion_samples = [
        {"text": "%%interp conf\nzi", "matches": {"zip"}},
        {"text": "%%interp conf\nconformance_var", "matches": {"conformance_variable"}},
    ]
    code_generate_error = "%%interp conf\nraise ValueError('boom')"
    code_execute_result = [
        {"code": "%%interp conf\n1+2+3", "result": "6"},
        {"code": "%%interp conf\n[n*n for n in range(1, 4)]", "result": "[1, 4, 9]"},
        {"code": "%%interp conf\nclass H:\n    def _repr_html_(self): return '<i>h</i>'\nH()", "mime": "text/html",
         "result": "<i>h</i>"},
    ]
    code_display_data = [
        {"code": "%%interp conf\nclass H:\n    def _repr_html_(self): return '<i>h</i>'\ndisplay(H())", "mime": "text/html"},
        {"code": "%%interp conf\ndisplay({'a': 1})", "mime": "text/plain"},
    ]
    code_inspect_sample = "%%interp conf\nzip"
    code_clear_output = "%%interp conf\nclear_output()"

    @classmethod
    def prepare(cls):
        # create the interpreter and a variable to complete
        msg_id = cls.kc.execute("%%interp conf\nconformance_variable = 1")
        while True:
            reply = cls.kc.get_shell_msg(timeout=30)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        assert reply["content"]["status"] == "ok", reply["content"]

    def test_interp_inspect_shows_the_interpreters_object(self):
        self.flush_channels()
        self.kc.inspect("%%interp conf\nconformance_variable")
        reply = self.get_non_kernel_info_reply(timeout=15)
        assert reply["content"]["found"]
        assert "int" in reply["content"]["data"]["text/plain"]


del _InterpKernelBase  # not a test case of its own

if __name__ == "__main__":
    unittest.main()
