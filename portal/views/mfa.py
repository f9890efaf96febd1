def mfa_overview_view(request):
    raise NotImplementedError


def totp_add_view(request):
    raise NotImplementedError


def device_remove_view(request, device_id):
    raise NotImplementedError


def recovery_codes_view(request):
    raise NotImplementedError
