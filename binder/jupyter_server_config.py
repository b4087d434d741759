# mybinder.org: 2 GB of memory, and each kernel holds 400-450 MB once torch is
# imported. JupyterLab keeps a kernel for every notebook opened in the session,
# so shut down kernels that have been idle for 15 minutes (their tab may still
# be open: a learner working through notebooks 01..06 in turn would otherwise
# run out of memory by the fifth). Copied to ~/.jupyter by binder/postBuild.
c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)
c.MappingKernelManager.cull_idle_timeout = 900  # seconds idle before a kernel is shut down
c.MappingKernelManager.cull_interval = 60  # how often to look
c.MappingKernelManager.cull_connected = True  # cull even when a browser tab is still open
c.MappingKernelManager.cull_busy = False  # never a kernel that is running a cell
